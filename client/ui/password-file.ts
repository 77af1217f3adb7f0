import { readFile } from 'node:fs/promises';
import { ERROR_CODES, WarrenError } from '../../shared/index.js';

/**
 * The password in `--password-file`/WARREN_PASSWORD_FILE: its first line, without the line end.
 * Throws CONFIG_INVALID, naming the file, when it cannot be read or its first line is empty.
 */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new WarrenError(ERROR_CODES.CONFIG_INVALID, `--password-file ${path}: cannot read it (${reason})`);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first.length === 0) throw new WarrenError(ERROR_CODES.CONFIG_INVALID, `--password-file ${path}: the first line is empty`);
  return first;
}
