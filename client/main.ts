#!/usr/bin/env node
import { Chalk } from 'chalk';
import { settingsForEntryPoint } from '../shared/index.js';
import { CLIENT_SETTINGS, clientCommand } from './config.js';
import { runScriptApp } from './ui/script-app.js';
import { runTerminalApp } from './ui/terminal-app.js';

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(clientCommand(), CLIENT_SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) process.stderr.write(`${parsed.message}\n`);
    return parsed.exitCode;
  }
  const settings = parsed.settings;
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  if (!interactive) process.on('SIGINT', () => stop.abort());
  const io = {
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    // Plain text without a terminal; otherwise chalk's own detection (honours NO_COLOR / FORCE_COLOR).
    chalk: interactive ? new Chalk() : new Chalk({ level: 0 }),
    signal: stop.signal,
  };
  return interactive ? runTerminalApp(settings, io) : runScriptApp(settings, io);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
