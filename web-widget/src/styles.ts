/** The widget's stylesheet. Everything themable goes through `--fw-*` custom properties, which
 * inherit into the script-tag build's shadow root too. */
export const widgetCss =
  '.fw-root{--_fg:var(--fw-fg,#1f2328);--_bg:var(--fw-bg,#fff);--_bd:var(--fw-border,#d1d9e0);--_ac:var(--fw-accent,#0969da);--_er:var(--fw-danger,#cf222e);color:var(--_fg);font:var(--fw-font-size,14px)/1.4 var(--fw-font,system-ui,sans-serif)}' +
  '@media (prefers-color-scheme:dark){.fw-root{--_fg:var(--fw-fg,#e6edf3);--_bg:var(--fw-bg,#0d1117);--_bd:var(--fw-border,#3d444d);--_ac:var(--fw-accent,#1f6feb);--_er:var(--fw-danger,#f85149)}}' +
  '.fw-root *{box-sizing:border-box;transition:.15s}' +
  '.fw-bar,.fw-chips,.fw-actions{display:flex;flex-wrap:wrap;align-items:center;gap:var(--fw-gap,8px)}' +
  '.fw-form,.fw-field{display:grid;gap:var(--fw-gap,8px)}' +
  '.fw-root button,.fw-root textarea,.fw-form{font:inherit;color:inherit;background:var(--_bg);border:1px solid var(--_bd);border-radius:var(--fw-radius,6px);padding:4px 10px}' +
  '.fw-root button{cursor:pointer}' +
  '.fw-root button:hover{border-color:var(--_ac)}' +
  '.fw-root [aria-pressed=true],.fw-root .fw-primary{background:var(--_ac);border-color:var(--_ac);color:var(--fw-on-accent,#fff)}' +
  '.fw-root :focus-visible{outline:2px solid var(--fw-focus,var(--_ac));outline-offset:2px}' +
  '.fw-thumb svg{display:block;width:16px;height:16px;fill:currentColor}' +
  '.fw-down svg{transform:rotate(180deg)}' +
  '.fw-root .fw-chip{border-radius:99px}' +
  '.fw-form{margin-top:8px;padding:12px}' +
  '.fw-root [hidden]{display:none}' +
  '.fw-root textarea{width:100%;min-height:4em;resize:vertical}' +
  '.fw-status{margin:4px 0 0}' +
  '[data-status=error] .fw-status{color:var(--_er)}' +
  '@media (prefers-reduced-motion:reduce){.fw-root *{transition:none}}';
