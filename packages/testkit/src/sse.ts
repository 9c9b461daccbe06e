/** Server-Sent Events from a fetch Response, one `{ event, data }` at a time (for tests of SSE routes). */
export function sseEvents(res: Response) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const queue: Array<{ event: string; data: string }> = [];
  async function fill() {
    while (queue.length === 0) {
      const r = await reader.read();
      if (r.done) throw new Error("SSE stream ended");
      buf += dec.decode(r.value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length) queue.push({ event, data: data.join("\n") });
      }
    }
  }
  return {
    /** The next event named `event` (others are skipped), or a timeout error. */
    async next(event: string, timeoutMs = 5000): Promise<any> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for SSE ${event}`);
        await Promise.race([fill(), Bun.sleep(left).then(() => Promise.reject(new Error(`timed out waiting for SSE ${event}`)))]);
        const e = queue.shift()!;
        if (e.event === event) return JSON.parse(e.data);
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
