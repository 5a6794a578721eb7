import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { type PendingFile, PendingUploads, UploadSlots } from '../../src/web/pending-uploads.js';

const file = (bytes: number): PendingFile => ({ name: 'f.csv', content: Buffer.alloc(bytes), sha256: '' });
const limits = { maxBytes: 100, maxRows: 1000, ttlMs: 60_000 };

test('pending uploads count the new upload with the others and drop the oldest shown previews to make room', () => {
  const clock = manualClock('2026-03-01T12:00:00Z');
  const p = new PendingUploads(clock, limits);
  const a = p.add([file(40)], false);
  p.ready(a, 10);
  clock.advance(1000);
  const b = p.add([file(40)], false);
  p.ready(b, 10);
  // 40 + 40 + 30 > 100: the oldest shown preview (a) goes, b and the new one stay
  const c = p.add([file(30)], false);
  assert.equal(p.take(a), undefined, 'the oldest preview was dropped');
  assert.equal(p.bytes, 70);
  assert.ok(p.take(b));
  assert.equal(p.take(c), undefined, 'an upload still being previewed cannot be confirmed');
  p.ready(c, 10);
  assert.ok(p.take(c));
  assert.equal(p.take(c), undefined, 'a preview is confirmed once');
  assert.equal(p.size, 0);
});

test('pending uploads refuse an upload that alone is over the limit, and one that only previews in progress crowd out', () => {
  const clock = manualClock('2026-03-01T12:00:00Z');
  const p = new PendingUploads(clock, limits);
  assert.throws(() => p.add([file(60), file(41)], false), { code: 'TL_WEB_UPLOAD_TOO_LARGE' });
  assert.equal(p.size, 0, 'nothing of a refused upload is kept');
  const inFlight = p.add([file(70)], false);
  assert.throws(
    () => p.add([file(40)], false),
    (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'TL_WEB_UPLOAD_BUSY');
      assert.match(err.message ?? '', /Other uploads are being previewed/);
      return true;
    },
  );
  assert.equal(p.bytes, 70, 'the upload being previewed is never dropped');
  p.release(inFlight);
  assert.ok(p.add([file(40)], false));
});

test('pending uploads count rows once the preview read them, and expire after their time', () => {
  const clock = manualClock('2026-03-01T12:00:00Z');
  const p = new PendingUploads(clock, limits);
  const a = p.add([file(10)], false);
  p.ready(a, 600);
  const b = p.add([file(10)], false);
  p.ready(b, 600);
  assert.equal(p.take(a), undefined, '600 + 600 rows: the older preview made room');
  const c = p.add([file(10)], false);
  assert.throws(() => p.ready(c, 1001), { code: 'TL_WEB_UPLOAD_TOO_LARGE' });
  clock.advance(60_001);
  assert.equal(p.take(b), undefined, 'expired');
});

test('upload slots let two uploads in at a time and the next one in when one is answered', async () => {
  const slots = new UploadSlots(2);
  const a = await slots.take();
  const b = await slots.take();
  let third = false;
  const c = slots.take().then((release) => {
    third = true;
    return release;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false, 'the third waits');
  assert.equal(slots.queued, 1);
  a();
  a(); // given back once only
  const releaseC = await c;
  assert.equal(third, true);
  b();
  releaseC();
  // both slots are free again: two more get in at once
  await slots.take();
  await slots.take();
  assert.equal(slots.queued, 0);
});
