'use strict';

function add(a, b) {
  return a + b;
}

function divide(a, b) {
  if (b === 0) {
    return null;
  }
  return a / b;
}

function classify(n) {
  if (n < 0) {
    return 'negative';
  } else if (n === 0) {
    return 'zero';
  }
  return n > 100 ? 'large' : 'positive';
}

function unused(x) {
  return x && x.length ? 'some' : 'none';
}

module.exports = { add, divide, classify, unused };
