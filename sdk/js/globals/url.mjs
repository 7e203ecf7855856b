// The global URL and URLSearchParams, which QuickJS lacks.
export { URL, URLSearchParams } from '../node/url.mjs';
