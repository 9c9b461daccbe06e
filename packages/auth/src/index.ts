export * from "./jwt.ts";
export * from "./extract.ts";
