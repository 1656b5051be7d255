#!/usr/bin/env node
// The `uplift` command (see `uplift --help`). Runs the compiled CLI from dist/.
'use strict';
require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
