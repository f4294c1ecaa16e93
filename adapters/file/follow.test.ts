import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFollower, type FollowNotice, type FollowPosition } from './follow.js';
import { StateFile } from './state-file.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-follow-'));
  file = join(dir, 'queue_log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const texts = (lines: readonly { text: string }[]) => lines.map((l) => l.text);

describe('FileFollower', () => {
  it('gives complete lines with their byte offsets, keeps a partial line until its newline comes', async () => {
    writeFileSync(file, 'a1\nb22\r\nc3');
    const f = new FileFollower(file);
    const first = await f.read(100);
    expect(first.map((l) => [l.text, l.offset])).toEqual([
      ['a1', 0],
      ['b22', 3],
    ]);
    expect(first[1]!.after.offset).toBe(8);
    appendFileSync(file, '33\n');
    expect((await f.read(100)).map((l) => [l.text, l.offset])).toEqual([['c333', 8]]);
    expect(await f.read(100)).toEqual([]);
    await f.close();
  });

  it('returns at most the lines asked for and goes on from there', async () => {
    writeFileSync(file, 'l1\nl2\nl3\nl4\n');
    const f = new FileFollower(file);
    expect(texts(await f.read(3))).toEqual(['l1', 'l2', 'l3']);
    expect(texts(await f.read(3))).toEqual(['l4']);
    await f.close();
  });

  it('rotation by rename: the old file is read to its end (lines written after the rename too), then the new one from its start', async () => {
    const notices: FollowNotice[] = [];
    writeFileSync(file, 'old1\n');
    const f = new FileFollower(file, { onNotice: (n) => notices.push(n) });
    expect(texts(await f.read(100))).toEqual(['old1']);
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'old2\n'); // the PBX still writing to the file it holds open
    expect(texts(await f.read(100))).toEqual(['old2']); // no new file yet: waits on the old one
    writeFileSync(file, 'new1\nnew2\n');
    appendFileSync(`${file}.1`, 'old3\n');
    const lines = await f.read(100);
    expect(texts(lines)).toEqual(['old3', 'new1', 'new2']);
    expect(lines[1]!.offset).toBe(0);
    expect(lines[1]!.fileId).not.toBe(lines[0]!.fileId);
    expect(notices.map((n) => n.kind)).toEqual(['rotated']);
    await f.close();
  });

  it('truncation in place (copytruncate): read again from the start of what is written next', async () => {
    const notices: FollowNotice[] = [];
    writeFileSync(file, 'x1\nx2\n');
    const f = new FileFollower(file, { onNotice: (n) => notices.push(n) });
    expect(texts(await f.read(100))).toEqual(['x1', 'x2']);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, 'y1\n');
    const lines = await f.read(100);
    expect(texts(lines)).toEqual(['y1']);
    expect(lines[0]!.offset).toBe(0);
    expect(notices).toEqual([{ kind: 'truncated', ino: expect.any(Number), at: 6 }]);
    await f.close();
  });

  it('a file cut back and written past the old offset before the next look is told by its first line, and read from the start', async () => {
    writeFileSync(file, 'first-a\nsecond\n');
    const f = new FileFollower(file);
    await f.read(100);
    writeFileSync(file, 'first-b\nsecond\nthird-and-longer\n'); // same inode, longer than before
    expect(texts(await f.read(100))).toEqual(['first-b', 'second', 'third-and-longer']);
    await f.close();
  });

  it('restarted from a saved position it goes on at the next line; a position in a file rotated meanwhile is found by its inode', async () => {
    const state = new StateFile<FollowPosition>(join(dir, 'state.json'));
    writeFileSync(file, 'r1\nr2\nr3\n');
    const a = new FileFollower(file);
    const two = await a.read(2);
    await state.save(two[1]!.after);
    await a.close();

    const b = new FileFollower(file);
    await b.start(await state.load());
    expect(texts(await b.read(100))).toEqual(['r3']);
    await b.close();

    // Stopped after r3 was saved; the file is rotated and more is written while it is down.
    appendFileSync(file, 'r4\n');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 's1\n');
    const notices: FollowNotice[] = [];
    const c = new FileFollower(file, { onNotice: (n) => notices.push(n) });
    await c.start({ ...two[1]!.after, offset: two[1]!.after.offset + 3 });
    expect(texts(await c.read(100))).toEqual(['r4', 's1']);
    expect(notices.map((n) => n.kind)).toEqual(['resumed', 'rotated']);
    await c.close();
  });

  it('a saved position whose file is gone is noticed as lost, and the current file is read from its start', async () => {
    writeFileSync(file, 'gone\n');
    const a = new FileFollower(file);
    const [line] = await a.read(1);
    await a.close();
    rmSync(file);
    writeFileSync(file, 'fresh\n');
    const notices: FollowNotice[] = [];
    const b = new FileFollower(file, { onNotice: (n) => notices.push(n) });
    await b.start({ ...line!.after, ino: line!.after.ino + 1_000_000 });
    expect(texts(await b.read(10))).toEqual(['fresh']);
    expect(notices.map((n) => n.kind)).toEqual(['lost']);
    await b.close();
  });

  it('skips a line longer than the limit whole, noticed, and goes on with the next', async () => {
    const notices: FollowNotice[] = [];
    writeFileSync(file, `ok1\n${'z'.repeat(300)}\nok2\n`);
    const f = new FileFollower(file, { maxLineBytes: 64, chunkBytes: 32, onNotice: (n) => notices.push(n) });
    expect(texts(await f.read(100))).toEqual(['ok1', 'ok2']);
    expect(notices.filter((n) => n.kind === 'oversized')).toHaveLength(1);
    await f.close();
  });

  it('a file that does not exist yet gives nothing until it does', async () => {
    const f = new FileFollower(file);
    expect(await f.read(10)).toEqual([]);
    writeFileSync(file, 'late\n');
    expect(texts(await f.read(10))).toEqual(['late']);
    await f.close();
  });
});

describe('StateFile', () => {
  it('saves and loads a document, replacing it whole; none before the first save', async () => {
    const s = new StateFile<{ n: number }>(join(dir, 's.json'));
    expect(await s.load()).toBeUndefined();
    await s.save({ n: 1 });
    await s.save({ n: 2 });
    expect(await s.load()).toEqual({ n: 2 });
  });

  it('refuses a file that is not JSON, naming it', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"n":');
    await expect(new StateFile(join(dir, 'bad.json')).load()).rejects.toThrow(/bad\.json is not JSON/);
  });
});
