/**
 * Remembers the last `cap` envelope ids with the log position each was first delivered at: a
 * delivery seen twice (replicas, redelivery, an outbox relay or a log retry storing it again) is
 * dropped, live and in a replay.
 */
export class RecentIds {
  private ids = new Map<string, number>();
  constructor(private cap = 50_000) {}
  /** True the first time an id is seen. */
  add(id: string, seq: number): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, seq);
    if (this.ids.size > this.cap) this.ids.delete(this.ids.keys().next().value!);
    return true;
  }
  /** Where an id was first delivered, while it is remembered. */
  firstSeq(id: string): number | undefined {
    return this.ids.get(id);
  }
}
