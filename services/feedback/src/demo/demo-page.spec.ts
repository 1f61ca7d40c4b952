import { demoCsp, escapeHtml, renderDemoPage } from './demo-page';

describe('demo page', () => {
  it('escapes every value it puts into the markup', () => {
    const html = renderDemoPage({
      mode: 'gateway',
      gatewayUrl: 'http://gw.test/"><script>alert(1)</script>',
      gatewayKey: `k"'<>&`,
      widgetSrc: '/widget.js?v=abc',
      reasons: ['incorrect', 'other'],
    });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('data-gateway-key="k&#34;&#39;&#60;&#62;&#38;"');
    expect(html).toContain('data-reasons="incorrect,other"');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('leaves the gateway out of the canned page', () => {
    const html = renderDemoPage({
      mode: 'canned',
      gatewayKey: 'secret-ish',
      widgetSrc: '/widget.js',
      reasons: [],
    });
    expect(html).not.toContain('secret-ish');
    expect(html).toContain('Canned answers');
  });

  it('allows scripts only from itself and requests only to itself and the gateway', () => {
    const csp = demoCsp('https://gw.example.com:8443/base');
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval)/);
    expect(csp).toContain("connect-src 'self' https://gw.example.com:8443;");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(demoCsp(undefined)).toContain("connect-src 'self';");
  });
});
