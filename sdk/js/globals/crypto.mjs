// The global `crypto` (Web Crypto's randomUUID and getRandomValues; no `subtle`).
import { randomUUID, getRandomValues } from '../node/crypto.mjs';

export const crypto = { randomUUID, getRandomValues };
