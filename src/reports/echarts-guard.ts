/**
 * ECharts' renderer (zrender 6) caches text widths, fonts and colours in LRU caches whose index is
 * a plain `{}` keyed by the text drawn. Drawing a label named `__proto__` then finds
 * Object.prototype "in the cache" and writes `prev`/`next` onto it, which corrupts every object of
 * the process (the server died on the next request; the dashboard's page breaks the same way).
 * `constructor` or `hasOwnProperty` find functions there instead. Until zrender fixes it, every
 * cache index is swapped for a null-prototype copy before it is used. Imported for its effect by
 * the server's chart renderer and by the dashboard's chart component.
 */
import LRU from 'zrender/lib/core/LRU.js';

interface CacheIndex {
  _map: Record<string, unknown>;
}

const proto = LRU.prototype as unknown as Record<string, (this: CacheIndex, ...args: unknown[]) => unknown> & {
  __chatlabGuarded?: boolean;
};

if (!proto.__chatlabGuarded) {
  proto.__chatlabGuarded = true;
  for (const method of ['get', 'put', 'clear'] as const) {
    const original = proto[method]!;
    proto[method] = function (this: CacheIndex, ...args: unknown[]) {
      if (Object.getPrototypeOf(this._map) !== null) this._map = Object.assign(Object.create(null), this._map);
      const result = original.apply(this, args);
      // `clear` assigns a fresh `{}`; make it null-prototype before the next put.
      if (Object.getPrototypeOf(this._map) !== null) this._map = Object.assign(Object.create(null), this._map);
      return result;
    };
  }
}
