import type { Command } from 'commander';
import { z } from 'zod';
import { addSettingFlags, resolveSettings, type SettingsOf, type SettingsTable } from '../shared/index.js';

/** The schemas and the parse every bench's settings table (shared/settings.ts) is built from. */

/** A whole number within bounds, from a flag or variable's text. */
export const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The non-blank items of a comma-separated value, trimmed. */
export function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A comma-separated list of `item`s (or the default, already a list), of `min` to `max` items. */
export function commaList<T extends z.ZodType>(item: T, { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) {
  return z
    .union([z.string(), z.array(z.unknown())])
    .transform((raw) => (typeof raw === 'string' ? splitList(raw) : raw))
    .pipe(z.array(item).min(min).max(max));
}

/** Flags over variables over defaults, validated; a bad value throws WarrenError CONFIG_INVALID naming it (commander's own errors: CommanderError). */
export function parseSettings<T extends SettingsTable>(command: Command, table: T, argv: string[], env: Record<string, string | undefined>): SettingsOf<T> {
  const parser = addSettingFlags(command, table).exitOverride();
  parser.parse(argv, { from: 'user' });
  return resolveSettings(table, parser.opts(), env);
}
