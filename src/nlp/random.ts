/**
 * Seeded pseudo-random numbers so that training is reproducible for a given seed
 * (Math.random cannot be seeded).
 */

/**
 * mulberry32: small, fast, good enough for shuffling, splits and weight initialisation; the same
 * state gives the same sequence on every machine. The one PRNG of the lab.
 */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The splits' and searches' generator (mulberry32 from the seed as given): the same seed, the same split. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** The trainers' generator: seed 0 starts from a non-zero state (weights differ from seed to seed). */
export function createRng(seed: number): () => number {
  return mulberry32(seed >>> 0 || 0x9e3779b9);
}

/** Fisher-Yates shuffle in place; returns `items`. */
export function shuffleInPlace<A extends unknown[] | Int32Array>(items: A, rng: () => number): A {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** Standard normal sample (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
