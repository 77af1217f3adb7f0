#!/usr/bin/env node
/**
 * `npm run chat-log -- [folder]`: the whole deployment's chat log in server-time order, merged
 * from every coordinator's `chat*.log` in the folder (default WARREN_LOG_DIR, ./log). Counts of
 * repeated and unreadable lines go to standard error.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { settingsForEntryPoint } from '../../shared/index.js';
import { SERVER_SETTINGS } from '../config.js';
import { chatLogFiles } from './chat-log-repair.js';
import { mergeChatLogs } from './merge-chat-logs.js';

const SETTINGS = { logDir: SERVER_SETTINGS.logDir };

function main(): number {
  const command = new Command('warren-chat-log')
    .description("Print every coordinator's chat log of a folder as one, in server-time order.")
    .argument('[folder]', 'folder of the chat logs (default: --log-dir)');
  const parsed = settingsForEntryPoint(command, SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) process.stderr.write(`${parsed.message}\n`);
    return parsed.exitCode;
  }
  const folder = command.args[0] ?? parsed.settings.logDir;
  const files = chatLogFiles(folder);
  if (files.length === 0) {
    process.stderr.write(`chat-log: no chat*.log in ${folder}\n`);
    return 1;
  }
  const merged = mergeChatLogs(files.map((path) => readFileSync(path, 'utf8')));
  for (const line of merged.lines) process.stdout.write(`${line}\n`);
  process.stderr.write(`chat-log: ${merged.lines.length} line(s) from ${files.length} file(s); ${merged.repeated} repeated message line(s) and ${merged.unreadable} unreadable line(s) left out\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`chat-log: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
