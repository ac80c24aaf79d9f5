'use strict';
const assert = require('assert');
const { add, divide, classify } = require('./calc');

assert.strictEqual(add(2, 3), 5);
assert.strictEqual(divide(4, 2), 2);
assert.strictEqual(classify(-1), 'negative');
assert.strictEqual(classify(3), 'positive');
console.log('ok');
