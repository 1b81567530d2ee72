// Splits a SQL script into statements at the `;` outside quotes and comments, so the CLI can run
// and print them one at a time, as Dolt's `sql` does, and name the one that failed; the shell
// uses the same split to tell which statements the lines typed so far have ended.
'use strict';

/** The statements of `script`, trimmed, empty ones dropped. */
function splitStatements(script) {
  const { statements, rest } = scanStatements(script);
  return keep([...statements, rest]);
}

/**
 * The statements of `text` that a `;` ends, trimmed, empty ones dropped, and `rest`: the text
 * after the last of them, untrimmed, which a shell keeps until more lines end it. A `;` inside a
 * quote or comment that is still open at the end ends nothing.
 */
function terminatedStatements(text) {
  const { statements, rest } = scanStatements(text);
  return { statements: keep(statements), rest: onlyComments(rest) ? '' : rest };
}

/** Trims pieces and drops the empty ones and those holding only comments. */
function keep(pieces) {
  return pieces.map((s) => s.trim()).filter((s) => s.length > 0 && !onlyComments(s));
}

/** Splits `script` at each `;` outside quotes and comments: the pieces before them, and the rest. */
function scanStatements(script) {
  const statements = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    if (c === "'" || c === '"' || c === '`') {
      // A quoted string or identifier: doubled quotes stay inside, and so do backslash escapes
      // in strings (MySQL's default mode).
      i++;
      while (i < n) {
        if (script[i] === '\\' && c !== '`') i += 2;
        else if (script[i] === c && script[i + 1] === c) i += 2;
        else if (script[i] === c) break;
        else i++;
      }
      i++;
    } else if ((c === '-' && script[i + 1] === '-' && /\s/.test(script[i + 2] || ' ')) || c === '#') {
      while (i < n && script[i] !== '\n') i++;
    } else if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      statements.push(script.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  return { statements, rest: script.slice(start) };
}

/** Whether a piece holds nothing but comments (a script's trailing notes). */
function onlyComments(text) {
  const stripped = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\n)\s*(--\s|#)[^\n]*/g, '$1')
    .replace(/^--$/gm, '');
  return stripped.trim().length === 0;
}

module.exports = { splitStatements, terminatedStatements };
