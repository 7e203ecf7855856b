// `util` as a global, for the same guide (`util.format('https://%s/%s', domain, stage)` without
// `require('util')`).
import util from 'util';

export { util };
