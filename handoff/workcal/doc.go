// Package workcal is Tongban's working-day calendar: it decides which days
// are working days in mainland China and does the deadline arithmetic that
// the Administrative Licensing Law and promised service limits require.
//
// Which days are working days is not computable: the State Council publishes
// each November the next year's statutory holidays and the weekend days that
// become working days in exchange (调休上班). The calendar therefore ships the
// published years as data files and accepts later years at run time through
// [Calendar.LoadYear]. For a year without data it falls back to "weekends are
// rest days" and marks every result that depended on that guess as
// provisional, so a deadline reaching into an unpublished year is shown as
// tentative rather than silently wrong.
//
// All arithmetic happens on civil dates in Asia/Shanghai, whatever zone the
// caller's timestamps carry. Limits are counted the Chinese administrative
// way (次日起算): the day of the triggering event does not count, counting
// starts the next day, and a limit ends at the end of its last day. Deadlines
// are returned as the exclusive instant 00:00 Shanghai time on the day after
// the last day, so "overdue" is simply !now.Before(deadline).
package workcal
