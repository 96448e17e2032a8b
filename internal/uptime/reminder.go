package uptime

// Reminder is a Transition that repeats an announced DOWN while the service
// stays down (remind_every). Its Since is the outage's first failed cycle,
// its At the cycle that fired it, so Downtime is the outage so far.
const Reminder TransitionKind = "reminder"
