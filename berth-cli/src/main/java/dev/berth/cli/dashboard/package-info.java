/**
 * The administrators' dashboard ({@code berth dashboard}): a read-only web page over the audit
 * trail, the owner store and the policy ({@link dev.berth.cli.dashboard.DashboardServer} serves it,
 * {@link dev.berth.cli.dashboard.DashboardData} gathers what it shows).
 */
@NullMarked
package dev.berth.cli.dashboard;

import org.jspecify.annotations.NullMarked;
