// The global TextEncoder and TextDecoder (UTF-8), which QuickJS lacks.
export { TextEncoder, TextDecoder } from '../node/text.mjs';
