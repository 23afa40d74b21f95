// A small read-through cache for Slack directory lookups (emails, user ids, group members). The
// promise is stored, so concurrent lookups of one key share one call; answers — null ones too,
// "no such user" — live `ttlMs`; a failed lookup is dropped so the next caller tries again.

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Oldest entries go first beyond this (a workspace's users fit many times over). */
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const at = this.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > at) return hit.value;
    if (hit !== undefined) this.entries.delete(key);
    const value = load();
    const entry = { value, expiresAt: at + this.ttlMs };
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}
