/**
 * {@code berth login}: a user proves who they are with Kerberos ({@link
 * dev.berth.cli.login.KerberosAcceptor}) to the login service ({@link
 * dev.berth.cli.login.LoginServer}) and receives a client certificate ({@link
 * dev.berth.cli.login.LoginClient} is the user's side).
 */
@NullMarked
package dev.berth.cli.login;

import org.jspecify.annotations.NullMarked;
