import { lookalikeKeys } from '../shared/index.js';

/**
 * Who holds a name, found by any name that looks like it: the registry's "is this name taken"
 * once look-alikes count as the same name (`аlice` with a Cyrillic а, `ALICE` and `AIice` all
 * find the session of `alice`). Indexed by both look-alike keys (shared/name-key.ts).
 */
export class LookalikeIndex<T> {
  private readonly byKey = new Map<string, T>();
  private readonly byTypedKey = new Map<string, T>();
  /** The keys each holder was recorded under: the keys of `ALICE` are not all those of `alice`. */
  private readonly claims = new Map<T, { key: string; typedKey: string }>();

  /** The holder of `name` or of a name that looks like it. */
  holderOf(name: string): T | undefined {
    const keys = lookalikeKeys(name);
    return this.byKey.get(keys.key) ?? this.byTypedKey.get(keys.typedKey);
  }

  /**
   * Records `holder` under `name` (one name per holder: a new claim replaces its old one); returns
   * the holder of a look-alike instead when there is one, and records nothing.
   */
  claim(name: string, holder: T): T | undefined {
    const existing = this.holderOf(name);
    if (existing !== undefined) return existing;
    this.release(holder);
    const keys = lookalikeKeys(name);
    this.byKey.set(keys.key, holder);
    this.byTypedKey.set(keys.typedKey, holder);
    this.claims.set(holder, keys);
    return undefined;
  }

  /** Frees the name `holder` holds, under the keys it was claimed with. */
  release(holder: T): void {
    const keys = this.claims.get(holder);
    if (!keys) return;
    this.claims.delete(holder);
    if (this.byKey.get(keys.key) === holder) this.byKey.delete(keys.key);
    if (this.byTypedKey.get(keys.typedKey) === holder) this.byTypedKey.delete(keys.typedKey);
  }

  get size(): number {
    return this.byKey.size;
  }
}
