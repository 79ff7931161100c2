package dev.writebackd.daemon;

/** Entry point of {@code writebackd.jar}: runs the daemon, or a subcommand ({@code ctl}, {@code bench}). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("writebackd: not built yet");
        System.exit(1);
    }
}
