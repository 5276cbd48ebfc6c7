/** The server's null-prototype dictionaries (src/core/dict.ts): labels may be `__proto__`. */
export * from '../../../src/core/dict.js';
