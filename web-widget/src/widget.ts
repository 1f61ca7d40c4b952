// Entry of the standalone script-tag bundle (dist/widget.js): auto-mounts on
// [data-flywheel-feedback] elements and exposes window.Flywheel.
import { start } from './standalone';

start(window, document.currentScript);
