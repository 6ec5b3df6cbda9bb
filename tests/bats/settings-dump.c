/* Prints dcc_settings_table for man-settings.bats: NAME, its readers as letters (CDPME), its default. */
#include "proto/dcc_settings.h"

#include <stdio.h>

int main(void)
{
    static const struct {
        unsigned bit;
        char letter;
    } readers[] = {{DCC_READ_CLIENT, 'C'}, {DCC_READ_DAEMON, 'D'}, {DCC_READ_PUMP, 'P'},
                   {DCC_READ_MONITOR, 'M'}, {DCC_READ_ENVD, 'E'}};
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++) {
        char who[8];
        size_t n = 0;
        for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
            if (e->readers & readers[i].bit)
                who[n++] = readers[i].letter;
        who[n] = '\0';
        printf("%s\t%s\t%s\n", e->name, n ? who : "-", e->def ? e->def : "");
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
