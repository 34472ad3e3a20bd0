/* linfiles.c — the load phase's reading of a run's lineage files (--y-db, --mtdna,
 * --mt-db), so that lineage.c, which indexes them for the scan, opens no file (issue 10).
 * The readers themselves are ydb.c and mtdna.c. */
#include <string.h>
#include "kmpriv.h"
#include "lineage.h"

int km_linfiles_load(km_linfiles_t *F, const km_panel_t *p, const char *y_db, const char *mtdna, const char *mt_db,
                     km_err_t *e)
{
	int ret = 0;
	memset(F, 0, sizeof *F);
	/* the mtDNA profiles and their database come together: checked before either is read */
	if (mtdna && !mt_db) return km_err_set(e, KM_EUSAGE, "--mtdna given but no --mt-db (the mtDNA database)");
	if (mt_db && !mtdna) return km_err_set(e, KM_EUSAGE, "--mt-db given but no --mtdna (the mtDNA profiles)");
	/* a --y-db is read even when no remain has Y data: a wrong path is never silent */
	if (y_db && (ret = km_ydb_load(&F->ydb, p, y_db, e)) < 0) goto fail;
	F->y_on = y_db != NULL;
	if (mtdna && ((ret = km_mt_load(&F->mt, mtdna, e)) < 0 || (ret = km_mt_load(&F->mtdb, mt_db, e)) < 0)) goto fail;
	F->mt_on = mtdna != NULL;
	return 0;
fail:
	km_linfiles_destroy(F);
	return ret;
}

void km_linfiles_opt(km_linfiles_t *F, km_linopt_t *o, double mt_rate, int upper95)
{
	o->ydb = F->y_on ? &F->ydb : NULL;
	o->mt = F->mt_on ? &F->mt : NULL;
	o->mtdb = F->mt_on ? &F->mtdb : NULL;
	o->mt_rate = mt_rate, o->upper95 = upper95;
}

void km_linfiles_destroy(km_linfiles_t *F)
{
	km_ydb_destroy(&F->ydb);
	km_mt_destroy(&F->mt);
	km_mt_destroy(&F->mtdb);
	F->y_on = F->mt_on = 0;
}
