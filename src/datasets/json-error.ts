/**
 * Where JSON text goes wrong. V8's JSON.parse messages do not always carry a position, and a
 * user fixing a 5 MB file needs the line, so on the error path we re-scan the text with a small
 * recursive-descent checker that reports the offset of the first problem.
 */
export function locateJsonError(text: string): { offset: number; problem: string } {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  class Bad extends Error {}
  const fail = (problem: string): never => {
    throw new Bad(problem);
  };
  const shown = () => (i < text.length ? `unexpected ${JSON.stringify(text[i])}` : 'unexpected end of input');
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(shown());
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('control character inside a string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(shown());
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`${shown()}; expected a property name in double quotes`);
        string();
        ws();
        if (text[i] !== ':') fail(`${shown()}; expected ':'`);
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail(`${shown()}; expected ',' or '}'`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail(`${shown()}; expected ',' or ']'`);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`${shown()} after the JSON value`);
    return { offset: i, problem: 'invalid JSON' };
  } catch (err) {
    if (err instanceof Bad) return { offset: Math.min(i, text.length), problem: err.message };
    throw err;
  }
}
