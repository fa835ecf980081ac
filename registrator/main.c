/* main.c - placeholder until the CLI lands. */
#include <stdio.h>

#include "registrator/registrator.h"

int main(void) {
  puts("registrator " RG_VERSION);
  return 0;
}
