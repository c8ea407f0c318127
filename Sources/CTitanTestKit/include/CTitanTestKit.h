#ifndef CTITAN_TESTKIT_H
#define CTITAN_TESTKIT_H
// Linking this target is all it takes: its constructor hosts the service in a re-executed test binary.
#endif
