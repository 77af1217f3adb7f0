import { complete } from '../../ui/completion.js';
import { el } from './render.js';

export interface ComposerDeps {
  input: HTMLInputElement;
  completions: HTMLElement;
  names(): Iterable<string>;
  rooms(): Iterable<string>;
  submit(line: string): void;
}

/**
 * The input line: Enter sends, Tab completes commands, names and rooms with the terminal's own
 * completer (client/ui/completion.ts), and a line can turn into a masked one for a password. Tab
 * with nothing to complete moves on, as everywhere on the page, so the keyboard alone reaches all.
 */
export class Composer {
  private secret: { resolve(value: string): void } | undefined;
  private readonly placeholder: string;

  constructor(private readonly deps: ComposerDeps) {
    this.placeholder = deps.input.placeholder;
    deps.input.addEventListener('keydown', (event) => this.onKey(event));
    deps.input.addEventListener('input', () => this.deps.completions.replaceChildren());
  }

  askSecret(prompt: string): Promise<string> {
    const { input } = this.deps;
    input.type = 'password';
    input.value = '';
    input.placeholder = prompt;
    input.focus();
    return new Promise((resolve) => (this.secret = { resolve }));
  }

  private onKey(event: KeyboardEvent): void {
    const { input } = this.deps;
    if (event.key === 'Enter') {
      event.preventDefault();
      const line = input.value;
      input.value = '';
      this.deps.completions.replaceChildren();
      if (this.secret) {
        const { resolve } = this.secret;
        this.secret = undefined;
        input.type = 'text';
        input.placeholder = this.placeholder;
        resolve(line);
        return;
      }
      if (line.trim().length > 0) this.deps.submit(line);
      return;
    }
    if (event.key === 'Tab' && !event.shiftKey && !this.secret && input.value.length > 0) {
      const before = input.value.slice(0, input.selectionStart ?? input.value.length);
      const [hits, word] = complete(before, this.deps.names(), this.deps.rooms());
      if (hits.length === 0) return;
      event.preventDefault();
      const shared = commonPrefix(hits);
      const replacement = hits.length === 1 ? (hits[0] ?? '') : shared;
      if (replacement.length > word.length || hits.length === 1) {
        input.value = before.slice(0, before.length - word.length) + replacement + input.value.slice(before.length);
        const caret = before.length - word.length + replacement.length;
        input.setSelectionRange(caret, caret);
      }
      this.deps.completions.replaceChildren(...(hits.length > 1 ? hits.map((hit) => el('li', undefined, hit.trim())) : []));
    }
  }
}

function commonPrefix(words: string[]): string {
  let prefix = words[0] ?? '';
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
