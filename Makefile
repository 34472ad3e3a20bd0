# kinmatch — see README.md.  `make` builds ./kinmatch, `make check` runs every test.
CC      ?= cc
PKGS     = htslib gsl zlib sqlite3
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wdouble-promotion -Wno-unused-parameter
# Same answer at any thread count: no contraction into FMA, never -ffast-math.
KMFLAGS  = -D_GNU_SOURCE -ffp-contract=off -fopenmp -MMD -MP
CPPFLAGS += $(shell pkg-config --cflags $(PKGS))
LIBS     = $(shell pkg-config --libs $(PKGS)) -lm
ifeq ($(asan),1)
  CFLAGS += -fsanitize=address -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address
endif
ifeq ($(ubsan),1)
  CFLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=undefined
endif

SRC_LIB  = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ_LIB  = $(SRC_LIB:.c=.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:.c=)

.PHONY: all check unit demo bench fuzz clean
all: kinmatch

# the compile phase's inner loops (peeling, log10, the lineage columns): let them vectorise
src/peel.o src/flog.o src/lineage.o src/theta.o: CFLAGS += -O3

src/%.o: src/%.c
	$(CC) $(CPPFLAGS) $(WARN) $(KMFLAGS) $(CFLAGS) -c -o $@ $<

libkinmatch.a: $(OBJ_LIB)
	$(AR) rcs $@ $^

kinmatch: src/main.o libkinmatch.a
	$(CC) -fopenmp $(LDFLAGS) -o $@ $^ $(LIBS)

tests/unit/%: tests/unit/%.c libkinmatch.a
	$(CC) $(CPPFLAGS) $(WARN) $(KMFLAGS) -Wno-missing-prototypes $(CFLAGS) -Isrc -o $@ $< libkinmatch.a $(LIBS)

unit: $(UNIT_BIN)

check: kinmatch unit
	bash tests/run.sh

demo: kinmatch
	bash profiles/run-demo.sh

bench: kinmatch
	bash bench/run.sh $(SIZE)

fuzz:
	$(MAKE) -C tests/fuzz

clean:
	rm -f src/*.o src/*.d tests/unit/*.d libkinmatch.a kinmatch $(UNIT_BIN)
	rm -rf tests/out

-include $(OBJ_LIB:.o=.d) src/main.d $(UNIT_SRC:.c=.d)
