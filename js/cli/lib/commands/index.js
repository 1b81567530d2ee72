// The table of commands, in the order `cambium help` lists them.
'use strict';

module.exports = [
  require('./init'),
  require('./status'),
  require('./add'),
  require('./diff'),
  require('./reset'),
  require('./commit'),
  require('./sql'),
  require('./log'),
  require('./branch'),
  require('./checkout'),
  require('./merge'),
  require('./conflicts'),
  require('./tag'),
  require('./config'),
  require('./fsck'),
  require('./gc'),
  require('./remote-server'),
  require('./version'),
  require('./help'),
];
