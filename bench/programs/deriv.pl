% deriv: symbolic differentiation, the classic benchmark (Warren's ops8, divide10, log10, times10),
% written with the compound names seltzer uses: plus minus times divide pow neg exp log.
% Run: swipl -q -g main -t halt bench/programs/deriv.pl
% Prints: RESULT [<node counts of the 4 derivatives: ops8, divide10, log10, times10>],
%         TERM <name> <derivative> (4 lines), ITER <n>, TIME <seconds per run of all four>.
% Measured with SWI-Prolog 9.0.4 (2 cores, this dev machine): TIME ~5.7 us per run of all four.

d(plus(U, V), X, plus(DU, DV)) :- !, d(U, X, DU), d(V, X, DV).
d(minus(U, V), X, minus(DU, DV)) :- !, d(U, X, DU), d(V, X, DV).
d(times(U, V), X, plus(times(DU, V), times(U, DV))) :- !, d(U, X, DU), d(V, X, DV).
d(divide(U, V), X, divide(minus(times(DU, V), times(U, DV)), pow(V, 2))) :- !,
    d(U, X, DU), d(V, X, DV).
d(pow(U, N), X, times(times(DU, N), pow(U, N1))) :- !, integer(N), N1 is N - 1, d(U, X, DU).
d(neg(U), X, neg(DU)) :- !, d(U, X, DU).
d(exp(U), X, times(exp(U), DU)) :- !, d(U, X, DU).
d(log(U), X, divide(DU, U)) :- !, d(U, X, DU).
d(X, X, 1) :- !.
d(_, _, 0).

expr(ops8, times(plus(x, 1), times(plus(pow(x, 2), 2), plus(pow(x, 3), 3)))).
expr(divide10, divide(divide(divide(divide(divide(divide(divide(divide(divide(x, x), x), x), x), x), x), x), x), x)).
expr(log10, log(log(log(log(log(log(log(log(log(log(x))))))))))).
expr(times10, times(times(times(times(times(times(times(times(times(x, x), x), x), x), x), x), x), x), x)).

deriv(Name, D) :- expr(Name, E), d(E, x, D).

size(T, 1) :- atomic(T), !.
size(T, N) :- T =.. [_|Args], foldl([A, S0, S]>>(size(A, SA), S is S0 + SA), Args, 1, N).

bench_once :-
    expr(ops8, E1), d(E1, x, _),
    expr(divide10, E2), d(E2, x, _),
    expr(log10, E3), d(E3, x, _),
    expr(times10, E4), d(E4, x, _).

iterations(N) :- getenv('DERIV_ITER', S), atom_number(S, N), !.
iterations(100000).

loop(0) :- !.
loop(K) :- bench_once, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    Names = [ops8, divide10, log10, times10],
    findall(S, (member(Nm, Names), deriv(Nm, D), size(D, S)), Sizes),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [Sizes]),
    forall(member(Nm, Names), (deriv(Nm, D), format("TERM ~w ~w~n", [Nm, D]))),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
