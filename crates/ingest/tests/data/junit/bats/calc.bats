#!/usr/bin/env bats

@test "adds" {
  [ "$((2 + 2))" -eq 4 ]
}

@test "adds wrong" {
  result="$((2 + 2))"
  [ "$result" -eq 5 ]
}

@test "skipped on purpose" {
  skip "not on this platform"
}

@test "prints & fails" {
  echo "some output <with> markup"
  false
}

@test "passes too" {
  true
}
