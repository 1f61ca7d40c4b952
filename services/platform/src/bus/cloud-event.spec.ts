import { decodeEvent, encodeEvent } from './cloud-event';
import { InvalidEventError } from './errors';
import { sampleFeedback } from '../testing/bus-contract';

describe('CloudEvents binary mode', () => {
  it('round-trips an event through headers and a JSON value', () => {
    const data = sampleFeedback('i-1');
    const enc = encodeEvent(
      { type: 'dev.flywheel.feedback.v1', key: 'i-1', data, subject: 's' },
      'gateway',
      new Date(0),
    );
    expect(enc).toMatchObject({ topic: 'flywheel.feedback.v1', key: 'i-1' });
    expect(enc.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'dev.flywheel.feedback.v1',
      ce_source: 'gateway',
      ce_time: '1970-01-01T00:00:00.000Z',
      ce_subject: 's',
      'content-type': 'application/json',
    });
    const dec = decodeEvent(enc.headers, enc.value);
    expect(dec).toMatchObject({
      id: enc.headers.ce_id,
      type: 'dev.flywheel.feedback.v1',
      source: 'gateway',
      data,
    });
  });

  it('publishes a serialized event as the publisher gave it, and consumers still reject bad data', () => {
    const data = sampleFeedback('i-2');
    const json = JSON.stringify(data);
    const enc = encodeEvent({ type: 'dev.flywheel.feedback.v1', key: 'i-2', data, json }, 'gateway');
    expect(enc.value).toBe(json);
    expect(decodeEvent(enc.headers, enc.value).data).toEqual(data);

    const bad = encodeEvent(
      { type: 'dev.flywheel.feedback.v1', key: 'i-3', data, json: '{"rating":"sideways"}' },
      'gateway',
    );
    expect(() => decodeEvent(bad.headers, bad.value)).toThrow(InvalidEventError);
  });

  it.each([
    [{ ce_type: 'dev.flywheel.feedback.v1', ce_id: '1' }, '{}', /ce_specversion/],
    [{ ce_specversion: '1.0', ce_type: 'dev.flywheel.feedback.v1' }, '{}', /missing ce_id/],
    [
      { ce_specversion: '1.0', ce_id: '1', ce_type: 'com.example.other' },
      '{}',
      /unknown ce_type "com.example.other"/,
    ],
    [{ ce_specversion: '1.0', ce_id: '1', ce_type: 'dev.flywheel.feedback.v1' }, 'not json', /not JSON/],
    [{ ce_specversion: '1.0', ce_id: '1', ce_type: 'dev.flywheel.feedback.v1' }, null, /empty message value/],
  ])('rejects a malformed message %#', (headers, value, reason) => {
    expect(() => decodeEvent(headers, value)).toThrow(reason);
  });

  it('names the field path of data that fails its schema', () => {
    const bad = JSON.stringify({ ...sampleFeedback('i'), revision: 0 });
    let error: unknown;
    try {
      decodeEvent({ ce_specversion: '1.0', ce_id: '1', ce_type: 'dev.flywheel.feedback.v1' }, bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).issues).toEqual([{ path: 'revision', message: expect.any(String) }]);
  });

  it('accepts fields it does not know yet (rolling deploys)', () => {
    const data = { ...sampleFeedback('i'), added_in_v1_1: 'x' };
    const dec = decodeEvent(
      { ce_specversion: '1.0', ce_id: '1', ce_type: 'dev.flywheel.feedback.v1' },
      JSON.stringify(data),
    );
    expect(dec.data).toEqual(data);
  });
});
