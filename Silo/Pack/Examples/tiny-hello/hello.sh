#!/bin/sh
while :; do
  echo "$GREETING from $(hostname)"
  sleep 5
done
