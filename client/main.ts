#!/usr/bin/env node
import { Chalk } from 'chalk';
import { closeSync } from 'node:fs';
import { settingsForEntryPoint } from '../shared/settings.js';
import { CLIENT_SETTINGS, clientCommand } from './config.js';

/** Set once the terminal hung up: see exit(). */
let terminalGone = false;

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
  // The terminal closed (SIGHUP; then reads and writes fail with EIO, a pipe with EPIPE): leave
  // properly, logging out so the name is free at once, instead of dying with the session open.
  process.on('SIGHUP', () => {
    terminalGone = true;
    stop.abort();
  });
  for (const stream of [process.stdin, process.stdout, process.stderr]) {
    stream.on('error', () => {
      terminalGone = true;
      stop.abort();
    });
  }
  const io = {
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    // Plain text without a terminal; otherwise chalk's own detection (honours NO_COLOR / FORCE_COLOR).
    chalk: interactive ? new Chalk() : new Chalk({ level: 0 }),
    signal: stop.signal,
  };
  // Each mode loads only its own modules: the terminal's name prompt shows before the rest loads.
  if (interactive) return (await import('./ui/terminal-app.js')).runTerminalApp(settings, io);
  return (await import('./ui/script-app.js')).runScriptApp(settings, io);
}

/**
 * Node 20 restores the terminal's settings on exit and aborts (an assertion, a core dump) when the
 * terminal has hung up (EIO). It skips descriptors that are closed, so a gone terminal's are.
 */
function exit(code: number): never {
  if (terminalGone) {
    for (const [fd, stream] of [process.stdin, process.stdout, process.stderr].entries()) {
      try {
        if ((stream as { isTTY?: boolean }).isTTY) closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  }
  process.exit(code);
}

main().then(
  (code) => exit(code),
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exit(1);
  },
);
