// Node's global `Buffer`, for a handler that names it without importing it (build.mjs injects
// each file of this directory only where its name is used as a global).
export { Buffer } from 'buffer';
