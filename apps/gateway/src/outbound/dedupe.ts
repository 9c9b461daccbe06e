/** Remembers the last `cap` ids: a delivery seen twice (replicas, redelivery) is dropped. */
export class RecentIds {
  private ids = new Set<string>();
  constructor(private cap = 50_000) {}
  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.cap) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
