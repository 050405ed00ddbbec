import { describe, expect, it } from 'vitest';
import { safeFileName } from './multipart-input.js';

describe('safeFileName', () => {
  it('keeps the last path segment, without control characters', () => {
    expect(safeFileName('C:\\Users\\ana\\relatório.pdf')).toBe('relatório.pdf');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName(' a\u0000b\u001fc\u007f.txt ')).toBe('abc.txt');
  });

  it('drops bidi overrides and other format characters, which disguise what a name ends with', () => {
    expect(safeFileName('resume\u202Efdp.exe')).toBe('resumefdp.exe');
    const disguises = [
      '\u200E',
      '\u200F',
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200B',
      '\uFEFF',
    ];
    expect(safeFileName(`in${disguises.join('')}voice.pdf`)).toBe('invoice.pdf');
    expect(safeFileName('\u202E\u2066')).toBe('file');
    expect(safeFileName('relatório 😀 عربى.pdf')).toBe('relatório 😀 عربى.pdf');
  });

  it('never yields a name a URL would resolve as a folder', () => {
    for (const name of ['', '.', '..', 'a/..', '/', ' ']) expect(safeFileName(name)).toBe('file');
    expect(safeFileName('...')).toBe('...');
  });

  it('cuts at 255 UTF-8 bytes on a character boundary, and mends lone surrogates', () => {
    expect(safeFileName('é'.repeat(200))).toBe('é'.repeat(127)); // 2 bytes each
    expect(safeFileName(`${'a'.repeat(253)}😀`)).toBe('a'.repeat(253)); // the emoji is 4 bytes
    const mended = safeFileName('a\ud800b\udc00c');
    expect(mended).toBe('a\ufffdb\ufffdc');
    expect(() => encodeURIComponent(mended)).not.toThrow();
  });
});
