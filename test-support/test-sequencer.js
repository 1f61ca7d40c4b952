// @ts-check
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
/** @type {Record<string, number>} repository-relative path → ms, from `test-support/record-durations.js` */
const recorded = require('./test-durations.json');

/**
 * Jest starts the longest files first so that no worker is left with a long file at the end,
 * but it knows a file's duration only from an earlier run on the same machine (its cache). On a
 * fresh clone (CI) it falls back to file size, which started the fault suite (a small file, the
 * longest run) among the last and left one worker running it alone for minutes. This sequencer
 * fills the gap with the durations recorded in test-durations.json. Files with neither (new
 * ones) still run first, as Jest does with files it has no time for.
 */
class RecordedDurationSequencer extends Sequencer {
  /** @param {import('@jest/test-result').Test} test */
  time(test) {
    return super.time(test) ?? recorded[path.relative(test.context.config.rootDir, test.path)];
  }
}

module.exports = RecordedDurationSequencer;
