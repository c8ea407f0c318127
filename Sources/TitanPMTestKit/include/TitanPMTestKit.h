#ifndef TITAN_PM_TESTKIT_H
#define TITAN_PM_TESTKIT_H
// Linking this target is all it takes; it has no API.
#endif
