export * from "./jwt.ts";
export * from "./keys.ts";
export * from "./extract.ts";
