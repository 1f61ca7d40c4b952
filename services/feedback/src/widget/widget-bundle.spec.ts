import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { pickEncoding, WidgetBundle, WidgetBundleMissingError } from './widget-bundle';

describe('WidgetBundle', () => {
  const source = `(()=>{${'console.log("flywheel");'.repeat(50)}})();`;
  const bundle = WidgetBundle.fromSource(source);

  it('refuses to load a bundle that was not built, saying how to build it', () => {
    const missing = join(__dirname, 'no-such-dir', 'widget.js');
    expect(() => WidgetBundle.load(missing)).toThrow(WidgetBundleMissingError);
    expect(() => WidgetBundle.load(missing)).toThrow(/npm run build -w web-widget/);
  });

  it('precompresses the same bytes with gzip and brotli', () => {
    expect(bundle.body('identity').toString()).toBe(source);
    expect(gunzipSync(bundle.body('gzip')).toString()).toBe(source);
    expect(brotliDecompressSync(bundle.body('br')).toString()).toBe(source);
    expect(bundle.body('br').length).toBeLessThan(source.length);
  });

  it('names its version by content and matches If-None-Match in any encoding', () => {
    expect(WidgetBundle.fromSource(source).version).toBe(bundle.version);
    expect(WidgetBundle.fromSource(`${source} `).version).not.toBe(bundle.version);
    expect(bundle.matches(bundle.etag('identity'))).toBe(true);
    expect(bundle.matches(`"other", W/${bundle.etag('gzip')}`)).toBe(true);
    expect(bundle.matches('*')).toBe(true);
    expect(bundle.matches('"other"')).toBe(false);
    expect(bundle.matches(undefined)).toBe(false);
  });
});

describe('pickEncoding', () => {
  it.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip;q=0.5', 'gzip'],
    ['*', 'br'],
    ['identity', 'identity'],
    [undefined, 'identity'],
  ] as const)('%s → %s', (header, expected) => {
    expect(pickEncoding(header)).toBe(expected);
  });
});
