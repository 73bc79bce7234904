-- wake_open: every open incident is due now, and looks again at what mutes
-- its alerts: after a config reload, so that changed policies, maintenance
-- windows and inhibition rules take effect at once.
-- ARGV: 1 prefix, 2 now_ms
suppression().review_open(ARGV[1], now_ms(ARGV[2]))
return 1
