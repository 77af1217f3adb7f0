/**
 * The store's SQL uses better-sqlite3's placeholders: positional `?` or named `@name` (bound from
 * one object). PostgreSQL numbers them: `$1`, `$2`… A named one used twice becomes one number.
 * Quoted strings, quoted identifiers and `--` comments are copied as they are.
 */
export interface NumberedSql {
  text: string;
  /** The names in number order, or undefined for positional parameters. */
  names: string[] | undefined;
}

export function numberPlaceholders(sql: string): NumberedSql {
  let text = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; ) {
    const char = sql[i] as string;
    if (char === "'" || char === '"') {
      const end = closingQuote(sql, i, char);
      text += sql.slice(i, end);
      i = end;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop;
    } else if (char === '?') {
      positional += 1;
      text += `$${positional}`;
      i += 1;
    } else if (char === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0] ?? '';
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      text += `$${index + 1}`;
      i += 1 + name.length;
    } else {
      text += char;
      i += 1;
    }
  }
  if (positional > 0 && names.length > 0) throw new Error(`SQL mixes ? and @name parameters: ${sql}`);
  return { text, names: names.length > 0 ? names : undefined };
}

/** The index after the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i += 1) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) i += 1;
    else return i + 1;
  }
  return sql.length;
}

/** The values in `$n` order: from the one object for named parameters (missing ones are NULL), else as given. */
export function bindValues(names: string[] | undefined, params: unknown[]): unknown[] {
  if (names === undefined) return params;
  const source = (params[0] ?? {}) as Record<string, unknown>;
  return names.map((name) => source[name] ?? null);
}
