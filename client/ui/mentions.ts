/** True when the text names `me` as @me (case-insensitive, not part of a longer name). */
export function mentions(text: string, me: string): boolean {
  const escaped = me.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_.-])@${escaped}(?![\\p{L}\\p{N}_-])`, 'iu').test(text);
}
