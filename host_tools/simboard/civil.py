"""Calendar conversion for simboard.time.gmtime (MicroPython's 2000 epoch)."""


def civil(secs):
    """Seconds since 2000-01-01 to (y, m, d, h, mi, s, wd, yd), as MicroPython."""
    days, rem = divmod(int(secs), 86400)
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    wd = (days + 5) % 7  # 2000-01-01 was a Saturday (Monday = 0)
    y = 2000
    while True:
        ylen = 366 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 365
        if days < ylen:
            break
        days -= ylen
        y += 1
    yd = days + 1
    mdays = (31, 29 if ylen == 366 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    m = 0
    while days >= mdays[m]:
        days -= mdays[m]
        m += 1
    return (y, m + 1, days + 1, h, mi, s, wd, yd)
