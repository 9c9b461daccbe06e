// Preloaded into every bench server (Bun: --preload, Node: --expose-gc --import): SIGUSR2 runs a
// full garbage collection, so idle memory is read after GC on every side alike.
process.on("SIGUSR2", () => (globalThis.Bun ? globalThis.Bun.gc(true) : globalThis.gc?.()));
